"""Reading what a log says, in time linear in its length: the one door for untrusted text,
phases, error lines, hints, redaction, and the pipeline that runs them as pages stream past.
Never imports `output`.
"""
