# The app under gunicorn; static files served by whitenoise. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8000
WORKDIR /app

COPY . .
RUN pip install --no-cache-dir -e . \
 && SECRET_KEY=collectstatic DATABASE_URL=postgres://unused@localhost/unused \
    python manage.py collectstatic --noinput \
 && useradd --system --no-create-home app \
 && mkdir -p /app/releases && chown app /app/releases

USER app
EXPOSE 8000
# Migrations on start; several replicas migrating at once is safe (Django takes a lock per migration table row).
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py load_seed && python manage.py ensure_admin && exec gunicorn defections.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
