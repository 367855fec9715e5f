"""Exit Case Service command line: `exitcases` and the process supervisor for local runs."""
