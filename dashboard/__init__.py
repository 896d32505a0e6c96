"""The pages that show everything: organization home, project page, setup wizard, their
fragments, the live socket and the exports; and the site-wide `serve` and `demo` commands.

The top app: it reads tenants, monitoring (events, rollups) and spc (charts, violations) and
only renders; no models of its own, and no other app imports it.
"""
