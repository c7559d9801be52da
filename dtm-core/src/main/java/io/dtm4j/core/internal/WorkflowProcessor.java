package io.dtm4j.core.internal;

import java.time.Instant;

/**
 * Workflow (spec 3.5): the client drives it. The server only resumes an unfinished workflow whose
 * retry time has come by calling its {@code query_prepared} URL with op = the workflow name; it never
 * moves a workflow between states itself, and the next attempt is the recovery lease away.
 */
final class WorkflowProcessor implements Processor {

    @Override
    public Decision decide(Round r, Instant now) {
        if (r.global().status().isFinal() || r.backCheck() != null) {
            return Decision.Stop.of(Decision.Cron.NONE);
        }
        return new Decision.BackCheck();
    }
}
