"""The live dashboard: project page, organization home cards, setup wizard and their socket.

A plain package of the `monitoring` app: it reads events, rollups (monitoring) and charts
(spc) and only renders; no models of its own.
"""
