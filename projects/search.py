"""Full-text search of the library, in Chinese and English alike.

Every project keeps a casefolded `search_document` (reference code, title and summary in both
languages, places, themes), refreshed by the editing services. A query is casefolded the same
way and split on whitespace; every term must occur in the document. Chinese is written without
spaces, so a Chinese phrase is one term matched as a substring — which is exactly what a
trigram index serves, and what a word-based (tsvector) index cannot do for Chinese.

PostgreSQL: each term is a `LIKE '%term%'` on the column, served by the GIN trigram index of
migration 0003, and results are ranked by trigram word similarity to the whole query.
SQLite (local work): the same substring match without an index, ranked by recency only.
"""

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connections
from django.db.models import FloatField, Value

MAX_TERMS = 8
# Quotes and punctuation people type around phrases (“单一窗口”, "single window").
STRIP = "\"'“”‘’「」『』《》〈〉()（）[]【】,，、.。;；:：!！?？"


def query_terms(query: str) -> list[str]:
    """The distinct casefolded terms of a query, without surrounding quotes (at most MAX_TERMS)."""
    terms = []
    for raw in (query or "").casefold().split():
        term = raw.strip(STRIP)
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def search_projects(queryset, query: str):
    """Projects whose search document contains every term of `query`, annotated with
    `search_rank` (higher is better; a constant where the database cannot rank)."""
    terms = query_terms(query)
    if not terms:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        # `contains`, not `icontains`: Django writes icontains as UPPER(col) LIKE UPPER(…), which
        # the trigram index on the bare column cannot serve. Both sides are casefolded already.
        for term in terms:
            queryset = queryset.filter(search_document__contains=term)
        return queryset.annotate(search_rank=TrigramWordSimilarity(" ".join(terms), "search_document"))
    for term in terms:
        queryset = queryset.filter(search_document__icontains=term)
    return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
