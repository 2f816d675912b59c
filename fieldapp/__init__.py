"""The device side: encrypted local store, local users with PINs, report lifecycle, Flet UI.

Public surface: `fieldapp.device.Device`. The UI (app.py) and CLI (cli.py) are thin layers on it.
"""
