# syntax=docker/dockerfile:1
# dtm4j server image.
# NOTE: this Dockerfile has not been built or run: the environment it was written in has no Docker engine.
#
#   docker build -t dtm4j .
#   docker run -d -p 36789:36789 -v dtm-data:/var/lib/dtm dtm4j
#   docker run ... -v ./config.yml:/etc/dtm/config.yml:ro dtm4j      # own configuration
#   docker run ... -e STORE_DRIVER=postgres -e STORE_HOST=... dtm4j  # or DTM's environment variables

# --- build: the release tarball (dtm-server-embedded/target/dtm-<version>.tar.gz) ---
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q package -pl dtm-server-embedded -am -DskipTests \
 && mkdir /dist \
 && tar xzf dtm-server-embedded/target/dtm-*.tar.gz -C /dist

# --- runtime ---
FROM eclipse-temurin:17-jre
RUN groupadd --system dtm \
 && useradd --system --gid dtm --home-dir /var/lib/dtm --shell /usr/sbin/nologin dtm \
 && mkdir -p /etc/dtm /var/lib/dtm \
 && chown dtm:dtm /var/lib/dtm
COPY --from=build /dist/dtm /opt/dtm
# The example keeps every key at its default (sqlite in ./dtm-data, i.e. /var/lib/dtm/dtm-data).
RUN cp /opt/dtm/config.example.yml /etc/dtm/config.yml \
 && ln -s /opt/dtm/bin/dtm /usr/local/bin/dtm
ENV JAVA_OPTS=""
USER dtm
WORKDIR /var/lib/dtm
VOLUME /var/lib/dtm
EXPOSE 36789
# exec form: the JVM (the launcher execs it) is PID 1 and gets docker stop's SIGTERM.
ENTRYPOINT ["dtm"]
CMD ["-c", "/etc/dtm/config.yml"]
