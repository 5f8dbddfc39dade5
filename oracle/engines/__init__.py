"""Checking a student's autograd engine with the project's random graphs (``check engine.py``).

Beside the courses, and unknown to the course machinery, which reaches it only through
``oracle.course.plugins`` (``plugin``: which files hold an engine, and their check). Data
flows one way: probe the engine's API (``probe``; gate files: ``gates``) -> spell random
graphs in its operators (``forms``, ``program``) -> run them through the engine and JAX
(``run``) -> the project's judgement ladder (``judging``) -> shrink a failure (``shrink``) and
name its fault (``rules``) -> records (``drive``; arrays: ``tensors``). ``limits`` keeps the
engine quiet and bounded in time; ``summary`` is the line of rows per op. What runs the
student's code never imports JAX's judging modules (``discover``, ``execute``, ``arrays``):
isolated (``isolated``), it runs in a confined process of its own (``server``), which
answers the checker's proxy engines (``remote``) with numbers only (``channel``).
"""
