"""Alarms and a dashboard, so that a failing or stopped poller reaches a person."""

import json

import pulumi
import pulumi_aws as aws

from .settings import region_of

# A failure in 2 of 3 minutes alarms; a single blip (one throttled minute) does not.
FAILED_POLL_MINUTES = 3
FAILED_POLL_DATAPOINTS = 2
# Dropped events in 2 of 5 minutes alarm, so that a stack whose polls run long is noticed.
DROPPED_POLL_MINUTES = 5
DROPPED_POLL_DATAPOINTS = 2
# No successful poll for this many minutes in a row means the schedule or the function stopped.
STOPPED_POLL_MINUTES = 5


class Monitoring(pulumi.ComponentResource):
    """An SNS topic, the failure and stopped-poll alarms, and the operations dashboard."""

    def __init__(self, name, *, function, channel_arns, alarm_email=None, opts=None):
        super().__init__("ivs-viewer-count:index:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Where alarms go; subscribe a pager or chat integration to it as well as the email.
        self.topic = aws.sns.Topic(f"{name}-alarms", opts=child)
        if alarm_email:
            # AWS emails a confirmation link; alarms arrive only after it is clicked.
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=alarm_email,
                opts=child,
            )

        dimensions = {"FunctionName": function.name}
        actions = [self.topic.arn]

        # Polls fail: the function raised, so at least one channel got no sample or no cue.
        self.failed_alarm = self._count_alarm(
            f"{name}-polls-failing",
            "Errors",
            FAILED_POLL_MINUTES,
            FAILED_POLL_DATAPOINTS,
            "The viewer-count poller failed in 2 of the last 3 minutes. Its log group has one "
            "JSON line per failed channel with channelArn, minute and error.",
            dimensions,
            actions,
            child,
        )

        # Polls stop: no invocation succeeded, including when there was no invocation at all.
        self.stopped_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-polls-stopped",
            alarm_description=f"No viewer-count poll succeeded for {STOPPED_POLL_MINUTES} minutes."
            " Check that the schedule is enabled and the function's recent errors.",
            metric_queries=[
                _metric_query("invocations", "Invocations", dimensions),
                _metric_query("errors", "Errors", dimensions),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="succeeded",
                    expression="FILL(invocations, 0) - FILL(errors, 0)",
                    label="Successful polls",
                    return_data=True,
                ),
            ],
            evaluation_periods=STOPPED_POLL_MINUTES,
            comparison_operator="LessThanThreshold",
            threshold=1,
            treat_missing_data="breaching",
            alarm_actions=actions,
            ok_actions=actions,
            opts=child,
        )

        # Polls dropped: an invocation waited behind a running poll (reserved concurrency 1) or
        # failed to start, and Lambda discarded it after its 60 s event age, so a minute went by
        # without a sample. The other alarms see this only when it lasts 5 minutes.
        self.dropped_alarm = self._count_alarm(
            f"{name}-polls-dropped",
            "AsyncEventsDropped",
            DROPPED_POLL_MINUTES,
            DROPPED_POLL_DATAPOINTS,
            "Lambda dropped viewer-count poll events in 2 of the last 5 minutes: those minutes "
            "have no sample. Polls that take close to a minute (many channels or slow retries) "
            "make the next event wait past its 60 s age.",
            dimensions,
            actions,
            child,
        )

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=pulumi.Output.concat(pulumi.get_project(), "-", pulumi.get_stack()),
            dashboard_body=pulumi.Output.all(function.name, *channel_arns).apply(
                lambda values: dashboard_body(values[0], values[1:], aws.config.region)
            ),
            opts=child,
        )
        self.register_outputs({"topicArn": self.topic.arn})

    @staticmethod
    def _count_alarm(name, metric, minutes, datapoints, description, dimensions, actions, opts):
        """Declare an alarm on a per-minute Lambda count that is 1 or more in enough minutes."""
        return aws.cloudwatch.MetricAlarm(
            name,
            alarm_description=description,
            namespace="AWS/Lambda",
            metric_name=metric,
            dimensions=dimensions,
            statistic="Sum",
            period=60,
            evaluation_periods=minutes,
            datapoints_to_alarm=datapoints,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            opts=opts,
        )


def _metric_query(query_id, metric_name, dimensions):
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query_id,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace="AWS/Lambda",
            metric_name=metric_name,
            dimensions=dimensions,
            period=60,
            stat="Sum",
        ),
    )


def dashboard_body(function_name: str, channel_arns, stack_region: str | None) -> str:
    """Build the dashboard: viewers per channel next to the poller's health."""
    # IVS publishes ConcurrentViews in AWS/IVS with the dimension Channel = the channel id, in the
    # channel's own region.
    viewers = [
        [
            "AWS/IVS",
            "ConcurrentViews",
            "Channel",
            arn.rsplit("/", 1)[-1],
            {"region": region_of(arn)},
        ]
        for arn in channel_arns
    ]
    lambda_metric = ["AWS/Lambda"]
    widgets = [
        _widget("Viewers per channel (IVS ConcurrentViews)", viewers, "Maximum", 0),
        _widget(
            "Poller duration (ms)",
            [[*lambda_metric, "Duration", "FunctionName", function_name]],
            "Maximum",
            1,
        ),
        _widget(
            "Poller invocations, errors, throttles and dropped events",
            [
                [*lambda_metric, "Invocations", "FunctionName", function_name],
                [*lambda_metric, "Errors", "FunctionName", function_name],
                [*lambda_metric, "Throttles", "FunctionName", function_name],
                [*lambda_metric, "AsyncEventsDropped", "FunctionName", function_name],
            ],
            "Sum",
            2,
        ),
    ]
    for widget in widgets:
        if stack_region:
            widget["properties"]["region"] = stack_region
    return json.dumps({"widgets": widgets})


def _widget(title: str, metrics: list, stat: str, row: int) -> dict:
    return {
        "type": "metric",
        "x": 0,
        "y": row * 6,
        "width": 24,
        "height": 6,
        "properties": {
            "title": title,
            "metrics": metrics,
            "stat": stat,
            "period": 60,
            "view": "timeSeries",
        },
    }
