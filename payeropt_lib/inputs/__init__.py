"""What a practice hands over, read and checked at the door.

Owns the CSV schemas and the import path (``schemas``, ``imports``, payer ``aliases``),
X12 tokens and envelopes (``x12``), 835 reading and balancing (``era``; its parts ``era_loops``,
``era_columns``, ``era_frames``, ``era_balance``) and writing (``era_writer``), 837P reading
(``x837``, ``x837_loops``), writing (``x837_writer``) and importing (``claims``, with
``readahead`` parsing the next file in a second process), and loading a folder of exports
in dependency order (``onboarding``). A refused file stores
nothing; a file imported twice changes nothing.
May import: the kernel (``errors``, ``config``, ``formats``, ``money``,
``periods``), ``store``, ``reference``.
"""
