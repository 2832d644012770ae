"""Model inputs: data profiles, opened sources, and the tensors of a gene's window."""
