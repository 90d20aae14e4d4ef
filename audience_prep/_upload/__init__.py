"""Bytes to CommBox: the clients (``client``) over one policy (``core``), their configuration and
secret (``config``), the payload, the guards, CommBox's answers (``responses``), the bounds of an
attempt (``bounds``), retries, streaming and the upload report. Nothing here imports polars."""
