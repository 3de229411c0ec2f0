"""gunicorn settings read by every start of the app (`gunicorn -c config/gunicorn.conf.py config.wsgi`).

The access log leaves out query strings and the referer: search pages carry what people searched
for (`?q=` a name, a phone or ID number) in the URL, and that must not land in a log file.
%(U)s is the path alone; gunicorn's default %(r)s is the whole request line with the query.
"""
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
