"""Reading a log as it grows: paging, following builds on one polite budget, and the thread
that fetches the next page while this one is written.
"""
