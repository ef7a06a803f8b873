"""Query functions, one module per page: SQL over the marts, filters always bound parameters.

Each module ends with a `page_data(...)` function returning everything its page shows, so the
page and the benchmark call exactly the same queries.
"""
