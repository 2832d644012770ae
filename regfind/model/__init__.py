"""The Seq2Exp network in pure PyTorch, its configuration and checkpoint loading."""
