"""Code the revisions themselves run. Frozen like a released revision: a change here changes
what 0005 and 0006 do the next time a database is built from base, so fix forward in a new module."""
