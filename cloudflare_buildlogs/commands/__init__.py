"""One module per verb: each `run_*(options, env) -> ExitCode` orchestrates, nothing more.
`reading` is the one path every command that prints a log takes, for one build or many.
"""
