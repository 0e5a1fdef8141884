"""Reference data shared by every practice: what CMS and X12 publish, not what a practice owns.

Owns the Medicare fee math from CMS's own files (``medicare``), claim adjustment reason
codes with their categories and the bundling and sequestration codes (``carcs``), 835
claim statuses and the primary-adjudication rule (``claim_status``), the pricing modifiers
(``modifiers``) and the places of service paid at the facility rate (``place_of_service``).
May import: the kernel (``errors``, ``config``, ``formats``, ``money``,
``periods``) and ``store``.
"""
