"""Bytes to CommBox: the clients (``client``) over one policy (``core``), the payload, the guards,
CommBox's answers, retries, streaming and the upload report. Nothing here imports polars."""
