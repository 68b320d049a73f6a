"""The store: the only code that writes survey data (Delta Lake tables, history, undo, audit).

``Store`` (``insight.store.delta``) is what callers use; ``commit`` writes a local table's
files, ``location`` says where the store is, ``records`` what an import or undo reports.
``access_log``, ``sessions``, ``audit`` and ``legacy`` keep the views log, keep the sign-outs
and refused sign-ins, read the audit trail and move the first version's files in.
"""

from insight.store.delta import Store
from insight.store.location import is_uri, resolve_data_dir
from insight.store.records import StoreError, UndoRecord, UploadRecord, UpsertCounts

__all__ = ["Store", "StoreError", "UndoRecord", "UploadRecord", "UpsertCounts", "is_uri", "resolve_data_dir"]
