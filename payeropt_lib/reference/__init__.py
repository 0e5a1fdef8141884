"""Reference data shared by every practice: what CMS and X12 publish, not what a practice owns.

Owns the Medicare fee math from CMS's own files (``medicare``) and the claim adjustment
reason codes (``carcs``).
May import: ``errors``, ``config``, ``store``.
"""
