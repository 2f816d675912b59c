"""Ingest: what phones send to the office, one module per job (mirroring routes/).

    envelopes    batches of sealed reports -> rows + signed receipts; review requests queued
    attachments  resumable chunked uploads, checked against the signed manifest
    reviews      a village head's signed verdict
    common       author checks, opening, receipts (shared by the three)
"""
from .attachments import attachment_status, put_chunk, put_chunk_tx
from .common import (FEEDBACK_FORM, MAX_ATTACHMENT, MAX_PHONE_MS, REVIEW_FORM, VERDICTS, Rejected,
                     make_receipt)
from .envelopes import ingest_batch, ingest_envelope, receipt_for
from .reviews import ingest_review

__all__ = ["FEEDBACK_FORM", "MAX_ATTACHMENT", "MAX_PHONE_MS", "REVIEW_FORM", "VERDICTS", "Rejected",
           "attachment_status", "ingest_batch", "ingest_envelope", "ingest_review", "make_receipt",
           "put_chunk", "put_chunk_tx", "receipt_for"]
