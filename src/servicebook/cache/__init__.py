"""What earlier runs computed, kept on disk: the one digest every key is made with (digest.py),
where caches live (folder.py), how values are stored (codec.py), and the two kinds of store, an
SQLite file (database.py) and JSON files (disk.py). What a build caches, and when it may reuse it,
is the build's own business: site/buildcache.py, site/store.py and site/stamps.py."""
