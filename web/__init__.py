"""The web application: server-rendered pages for every role, mounted beside the JSON API."""
