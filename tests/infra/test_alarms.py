"""Alarms, the SNS topic and the dashboard under the mock runtime."""

import json

import pytest

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
EU_ARN = "arn:aws:ivs:eu-west-1:123456789012:channel/ZyXwVuTs9876"


@pytest.fixture
def monitored(run):
    return run(
        {
            "aws:region": "us-west-2",
            "ivs-viewer-count:channelArns": json.dumps([ARN, EU_ARN]),
            "ivs-viewer-count:alarmEmail": "oncall@example.com",
        }
    )


def alarms_by_suffix(stack):
    return {
        alarm.name.rsplit("-", 2)[-2] + "-" + alarm.name.rsplit("-", 1)[-1]: alarm.inputs
        for alarm in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }


def test_email_subscribed_to_topic(monitored):
    subscription = monitored.one("aws:sns/topicSubscription:TopicSubscription").inputs
    topic = monitored.one("aws:sns/topic:Topic")

    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "oncall@example.com"
    assert subscription["topic"] == f"arn:aws:sns:us-west-2:123456789012:{topic.name}"


def test_no_subscription_without_email(run):
    stack = run({"ivs-viewer-count:channelArn": ARN})

    assert stack.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert len(stack.of_type("aws:sns/topic:Topic")) == 1


def test_failing_polls_alarm(monitored):
    alarm = alarms_by_suffix(monitored)["polls-failing"]
    function = monitored.one("aws:lambda/function:Function")

    assert alarm["namespace"] == "AWS/Lambda"
    assert alarm["metricName"] == "Errors"
    assert alarm["dimensions"] == {"FunctionName": function.name}
    assert alarm["threshold"] == 1
    assert alarm["treatMissingData"] == "notBreaching"


def test_stopped_polls_alarm_breaches_on_silence(monitored):
    alarm = alarms_by_suffix(monitored)["polls-stopped"]
    expressions = [query.get("expression") for query in alarm["metricQueries"]]

    assert alarm["treatMissingData"] == "breaching"
    assert alarm["comparisonOperator"] == "LessThanThreshold"
    assert "FILL(invocations, 0) - FILL(errors, 0)" in expressions


def test_alarms_notify_topic(monitored):
    topic = monitored.one("aws:sns/topic:Topic")
    topic_arn = f"arn:aws:sns:us-west-2:123456789012:{topic.name}"

    for name, alarm in alarms_by_suffix(monitored).items():
        assert alarm["alarmActions"] == [topic_arn], name
        assert alarm["okActions"] == [topic_arn], name


def test_dashboard_shows_viewers_per_channel(monitored):
    body = json.loads(monitored.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    viewers = body["widgets"][0]["properties"]["metrics"]

    assert viewers == [
        ["AWS/IVS", "ConcurrentViews", "Channel", "AbCdEfGh1234", {"region": "us-west-2"}],
        ["AWS/IVS", "ConcurrentViews", "Channel", "ZyXwVuTs9876", {"region": "eu-west-1"}],
    ]


def test_dashboard_shows_poller_health(monitored):
    body = json.loads(monitored.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    metric_names = {
        metric[1] for widget in body["widgets"][1:] for metric in widget["properties"]["metrics"]
    }

    assert metric_names == {"Duration", "Invocations", "Errors", "Throttles", "AsyncEventsDropped"}


def test_dropped_polls_alarm(monitored):
    alarm = alarms_by_suffix(monitored)["polls-dropped"]

    assert alarm["namespace"] == "AWS/Lambda"
    assert alarm["metricName"] == "AsyncEventsDropped"
    assert alarm["threshold"] == 1
