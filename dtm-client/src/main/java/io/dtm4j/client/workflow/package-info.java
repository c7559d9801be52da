/**
 * Workflows: distributed transactions written as sequential code whose steps are recorded in the coordinator
 * and resumed after an interruption (DTM's workflow mode). Entry point: {@link io.dtm4j.client.workflow.Workflows},
 * from {@link io.dtm4j.client.DtmClient#workflows()}.
 */
package io.dtm4j.client.workflow;
