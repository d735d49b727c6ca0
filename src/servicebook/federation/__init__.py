"""An organisation site made of many teams' catalogs: members, the lock file, `federate update`."""
