"""The service: authorize, decide, append, publish (see ``hub.py``)."""
