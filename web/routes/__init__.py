"""One module per group of pages, each with its ``router``; web/app.py includes them."""
