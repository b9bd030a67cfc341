import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
# What is loaded by now (Django, the apps, their modules) lives as long as the process: kept out
# of the cyclic garbage collector's full collections, which otherwise walk it on about one large
# request in four (30-90 ms; see bench/README.md, bulk upsert).
gc.freeze()
