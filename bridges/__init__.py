"""Adapters that read a media bridge's (an MCU's, an SFU's) own view of its participants.

Generic: an adapter knows its bridge (Janus today) and gives, per participant
(keyed by its display name), whether it is in the room and the media statistics the
bridge measures of it, per direction; who a participant *is* is the caller's
business. Nothing specific to a bridge leaks out of its module.
"""
