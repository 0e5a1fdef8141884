"""The practice's HTML packet and the live dashboards: wiring and presentation only.

Owns what a page notebook calls (``report``), figures (``plots``), building packets and
batches with papermill and nbconvert (``build``) and the ipywidgets dashboards
(``dashboards``). No business arithmetic: every number comes from ``analytics`` or below.
May import: every stage below it (``analytics`` and down).
"""
