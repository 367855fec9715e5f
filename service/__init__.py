"""The service: opening cases and acting on them (``cases``), the kinds of case (``kinds``) and
the Temporal namespace check the API and worker share (``namespace``). Used by the API, the
worker, the activities and the command line; imports only ``domain``, ``config`` and ``store``."""
