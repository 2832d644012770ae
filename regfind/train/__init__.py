"""Training Seq2Exp: the data sets and the loop."""
