"""Checking a student's autograd engine with the project's random graphs (``check engine.py``).

Beside the courses, and unknown to the course machinery, which reaches it only through
``oracle.course.plugins`` (``plugin``: which files hold an engine, and their check). Data
flows one way: probe the engine's API (``probe``; gate files: ``gates``) -> spell random
graphs in its operators (``forms``, ``program``) -> run them through the engine and JAX
(``run``) -> the project's judgement ladder (``judging``) -> shrink a failure (``shrink``) and
name its fault (``rules``) -> records (``drive``; arrays: ``tensors``). ``limits`` keeps the
engine quiet and bounded in time; ``isolated`` runs a file's whole check in a process of its
own; ``summary`` is the line of rows per op.
"""
