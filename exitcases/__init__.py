"""Exit Case Service: command line, settings and the process supervisor for local runs."""
