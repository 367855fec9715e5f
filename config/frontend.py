"""Where the web pages' frontend files live unless ``EXITCASES_FRONTEND_DIR`` says otherwise.

Beside the checkout's other local data (``.exitcases/``), whatever directory a command runs in;
the image sets the variable. Its own module, importing nothing: ``exitcases-assets`` runs on
every ``./dev`` and ``./test`` and must start quickly, without the settings' imports.
"""

from pathlib import Path

DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parent.parent / ".exitcases" / "frontend"
