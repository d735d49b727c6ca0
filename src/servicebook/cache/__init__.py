"""What earlier runs computed, kept on disk: the one digest every key is made with (digest.py),
where caches live (folder.py), how values are stored (codec.py), the one store every build of a
site shares (store.py: its open, reset, lock and failure policy), and the JSON files git history
parsing keeps by blob id (disk.py). What a build caches, and when it may reuse it, is the build's
own business: site/fresh.py, site/buildcache.py and site/stamps.py."""
