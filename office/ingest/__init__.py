"""Ingest: what phones send to the office, one module per job (mirroring routes/).

    admission    the door: a report must fit its form and the office's size caps
    envelopes    batches of sealed reports -> rows + projection + signed receipts; review requests
    attachments  resumable chunked uploads, checked against the signed manifest
    reviews      a village head's signed verdict
    replies      the author's (or reviewing head's) signed answer in a report's conversation
    common       author checks, opening, receipts (shared by the three)
    commit       a batch in its own transaction, as the push and the courier import store it
"""
from .attachments import Upload, attachment_status, expire_uploads, put_chunk_tx
from .common import (FEEDBACK_FORM, MAX_ATTACHMENT, MAX_PHONE_MS, REPLY_FORM, REVIEW_FORM, VERDICTS, Rejected,
                     make_receipt, signed_refusal)
from .envelopes import ingest_batch, ingest_envelope, receipt_for
from .commit import store_batch
from .replies import ingest_reply
from .reviews import ingest_review

__all__ = ["FEEDBACK_FORM", "MAX_ATTACHMENT", "MAX_PHONE_MS", "REPLY_FORM", "REVIEW_FORM", "VERDICTS", "Rejected",
           "Upload", "attachment_status", "expire_uploads", "ingest_batch", "ingest_envelope",
           "ingest_reply", "ingest_review", "make_receipt", "put_chunk_tx", "receipt_for",
           "signed_refusal", "store_batch"]
