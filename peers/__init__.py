"""Classical peers: established non-LM tools answering the same questions, for the same tables."""
