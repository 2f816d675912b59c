"""Flet screens of the field app: one module per screen, each with `show(app, **kw)`.

shell.App holds the state; syncing.py is the only module that touches sync.client.
"""
