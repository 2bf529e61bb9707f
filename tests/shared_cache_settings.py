"""The site's settings, marking early answers (X-Early-Cache: hit): for the server processes
of tests/test_shared_cache.py, which cannot have settings changed from the test."""

from defections.settings import *  # noqa: F403

EARLY_CACHE_MARK = True
