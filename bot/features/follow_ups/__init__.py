"""Follow-ups: three weeks after a concern, is it solved, still there or worse?"""
