"""Citizens' feedback, questions and complaints (phản ánh, kiến nghị), their answers, and public Q&A."""
