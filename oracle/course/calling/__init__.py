"""oracle/course/calling"""
