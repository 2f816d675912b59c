"""Everything that crosses the network: the envelope (wire format), receipts, the client, the office."""
