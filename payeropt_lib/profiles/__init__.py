"""Mapping profiles: a practice system's export or a payer's spreadsheet, read into an
input file of the interface (docs/profiles.md).

``model`` says what a profile is (YAML, validated), ``sources`` reads a CSV or workbook
into a grid of strings, ``transforms`` holds one pure function per transformation,
``mapping`` applies a profile (and hands ``inputs.imports`` its ``Source``), ``suggest``
drafts a profile from a file's header and first rows.
May import: inputs (the interface's specs and the import pipeline), errors, config.
"""
