/* help.h: the long help of each verb (description and examples), worded after kubectl's. */
#ifndef MC_HELP_H
#define MC_HELP_H

#define MC_HELP_GET                                                                                           \
	"Display one or many resources.\n\n"                                                                  \
	" Prints a table of the most important information about the specified resources. You can filter\n"  \
	"the list using a label selector and the --selector flag. If the desired resource type is\n"         \
	"namespaced you will only see results in the current namespace unless you pass --all-namespaces.\n\n" \
	" By specifying the output as 'template' and providing a jsonpath expression you can output\n"        \
	"the details of the specific resources.\n\n"                                                          \
	"Use \"minictl api-resources\" for a complete list of supported resources.\n\n"                       \
	"Examples:\n"                                                                                         \
	"  # List all pods in ps output format\n  minictl get pods\n\n"                                       \
	"  # List all pods in ps output format with more information (such as node name)\n"                  \
	"  minictl get pods -o wide\n\n"                                                                      \
	"  # List deployments in JSON output format, in the \"v1\" version of the \"apps\" API group\n"       \
	"  minictl get deployments.apps -o json\n\n"                                                          \
	"  # List a single pod in JSON output format\n  minictl get -o json pod web-pod-13je7\n\n"           \
	"  # Return only the phase value of the specified pod\n"                                              \
	"  minictl get -o jsonpath='{.status.phase}' pod web-pod-13je7\n\n"                                   \
	"  # List all replication controllers and services together in ps output format\n"                   \
	"  minictl get rs,services\n\n"                                                                       \
	"  # List one or more resources by their type and names\n  minictl get deploy/web svc/web\n\n"       \
	"  # Watch pods as they change\n  minictl get pods -w"

#define MC_HELP_DESCRIBE                                                                                 \
	"Show details of a specific resource or group of resources.\n\n"                                 \
	" Print a detailed description of the selected resources, including related resources such as\n" \
	"events or controllers. You may select a single object by name, all objects of that type, provide\n" \
	"a name prefix, or label selector.\n\n"                                                           \
	"Examples:\n  # Describe a node\n  minictl describe nodes node-1\n\n"                             \
	"  # Describe a pod\n  minictl describe pods/nginx\n\n"                                           \
	"  # Describe pods by label name=myLabel\n  minictl describe pods -l name=myLabel"

#define MC_HELP_APPLY                                                                                     \
	"Apply a configuration to a resource by file name or stdin. The resource name must be specified.\n" \
	"This resource will be created if it doesn't exist yet. To use 'apply', always create the\n"      \
	"resource initially with either 'apply' or 'create --save-config'.\n\n"                            \
	" JSON and YAML formats are accepted.\n\n"                                                          \
	" minictl and kubectl compute the same patch (a three-way strategic merge against the\n"            \
	"kubectl.kubernetes.io/last-applied-configuration annotation), so both may apply to one object.\n\n" \
	"Examples:\n  # Apply the configuration in pod.json to a pod\n  minictl apply -f ./pod.json\n\n"   \
	"  # Apply the JSON passed into stdin to a pod\n  cat pod.json | minictl apply -f -\n\n"           \
	"  # Apply every manifest of a directory, recursively\n  minictl apply -R -f ./manifests/"

#define MC_HELP_CREATE                                                                         \
	"Create a resource from a file or from stdin.\n\n"                                    \
	" JSON and YAML formats are accepted.\n\n"                                            \
	"Available Commands:\n"                                                               \
	"  configmap     Create a config map from a local file, directory or literal value\n" \
	"  deployment    Create a deployment with the specified name\n"                       \
	"  namespace     Create a namespace with the specified name\n"                        \
	"  secret        Create a secret (generic) from a local file or literal value\n\n"   \
	"Examples:\n  # Create a pod using the data in pod.json\n  minictl create -f ./pod.json\n\n" \
	"  # Create a deployment named my-dep that runs the nginx image with 3 replicas\n"   \
	"  minictl create deployment my-dep --image=nginx --replicas=3\n\n"                   \
	"  # Create a new config map named my-config with key1=config1 and key2=config2\n"   \
	"  minictl create configmap my-config --from-literal=key1=config1 --from-literal=key2=config2"

#define MC_HELP_REPLACE                                                                                \
	"Replace a resource by file name or stdin.\n\n"                                                \
	" JSON and YAML formats are accepted. If replacing an existing resource, the complete resource\n" \
	"spec must be provided.\n\n"                                                                   \
	"Examples:\n  # Replace a pod using the data in pod.json\n  minictl replace -f ./pod.json"

#define MC_HELP_DELETE                                                                                      \
	"Delete resources by file names, stdin, resources and names, or by resources and label selector.\n\n" \
	" JSON and YAML formats are accepted. Only one type of argument may be specified: file names,\n"     \
	"resources and names, or resources and label selector.\n\n"                                          \
	"Examples:\n  # Delete a pod using the type and name specified in pod.json\n"                        \
	"  minictl delete -f ./pod.json\n\n  # Delete pods and services with same names \"baz\" and \"foo\"\n" \
	"  minictl delete pod,service baz foo\n\n  # Delete pods and services with label name=myLabel\n"     \
	"  minictl delete pods,services -l name=myLabel\n\n  # Delete all pods\n  minictl delete pods --all"

#define MC_HELP_RUN                                                                                     \
	"Create and run a particular image in a pod.\n\n"                                               \
	"Examples:\n  # Start a nginx pod\n  minictl run nginx --image=nginx\n\n"                       \
	"  # Start a hazelcast pod and let the container expose port 5701\n"                            \
	"  minictl run hazelcast --image=hazelcast/hazelcast --port=5701\n\n"                           \
	"  # Start a pod with environment variables and labels\n"                                       \
	"  minictl run web --image=nginx --env=\"DNS_DOMAIN=cluster\" --labels=\"app=web,env=prod\"\n\n" \
	"  # Start a busybox pod running a command\n  minictl run bb --image=busybox -- sleep 3600"

#define MC_HELP_EXPOSE                                                                                    \
	"Expose a resource as a new Kubernetes service.\n\n"                                              \
	" Looks up a deployment, service, replica set or pod by name and uses the selector for that\n"    \
	"resource as the selector for a new service on the specified port.\n\n"                           \
	"Examples:\n  # Create a service for an nginx deployment, which serves on port 80 and connects\n" \
	"  # to the containers on port 8000\n  minictl expose deployment nginx --port=80 --target-port=8000"

#define MC_HELP_SCALE                                                                       \
	"Set a new size for a deployment, replica set, or replication controller.\n\n"      \
	"Examples:\n  # Scale a deployment named 'web' to 3\n  minictl scale --replicas=3 deployment/web"

#define MC_HELP_SET                                                                                    \
	"Configure application resources.\n\n"                                                         \
	"Available Commands:\n  image       Update the image of a pod template\n\n"                    \
	"Examples:\n  # Set a deployment's nginx container image to 'nginx:1.9.1'\n"                  \
	"  minictl set image deployment/nginx nginx=nginx:1.9.1\n\n"                                   \
	"  # Update all containers of a deployment to 'nginx:1.9.1'\n  minictl set image deployment/nginx *=nginx:1.9.1"

#define MC_HELP_LABEL                                                                                    \
	"Update the labels on a resource.\n\n"                                                           \
	"  *  A label key and value must begin with a letter or number, and may contain letters,\n"      \
	"numbers, hyphens, dots, and underscores, up to 63 characters each.\n"                           \
	"  *  If --overwrite is true, then existing labels can be overwritten, otherwise attempting to\n" \
	"overwrite a label will result in an error.\n\n"                                                 \
	"Examples:\n  # Update pod 'foo' with the label 'unhealthy' and the value 'true'\n"               \
	"  minictl label pods foo unhealthy=true\n\n  # Remove the label 'bar' from pod 'foo'\n  minictl label pods foo bar-"

#define MC_HELP_ANNOTATE                                                                       \
	"Update the annotations on one or more resources.\n\n"                                 \
	"Examples:\n  # Update pod 'foo' with the annotation 'description' and the value 'my frontend'\n" \
	"  minictl annotate pods foo description='my frontend'\n\n"                            \
	"  # Remove the annotation 'description' from pod 'foo'\n  minictl annotate pods foo description-"

#define MC_HELP_ROLLOUT                                                                                  \
	"Manage the rollout of one or many resources.\n\n Valid resource types include:\n\n"             \
	"  *  deployments\n  *  daemonsets\n\n"                                                           \
	"Available Commands:\n"                                                                          \
	"  history       View rollout history\n"                                                         \
	"  restart       Restart a resource\n"                                                           \
	"  status        Show the status of the rollout\n"                                               \
	"  undo          Undo a previous rollout\n\n"                                                    \
	"Examples:\n  # Rollback to the previous deployment\n  minictl rollout undo deployment/abc\n\n"   \
	"  # Check the rollout status of a deployment\n  minictl rollout status deployment/abc\n\n"     \
	"  # Restart a deployment\n  minictl rollout restart deployment/abc"

#define MC_HELP_LOGS                                                                                   \
	"Print the logs for a container in a pod or specified resource. If the pod has only one\n"     \
	"container, the container name is optional.\n\n"                                               \
	"Examples:\n  # Return snapshot logs from pod nginx with only one container\n  minictl logs nginx\n\n" \
	"  # Begin streaming the logs of the ruby container in pod web-1\n  minictl logs -f -c ruby web-1\n\n" \
	"  # Display only the most recent 20 lines of output in pod nginx\n  minictl logs --tail=20 nginx"

#define MC_HELP_CORDON "Mark node as unschedulable.\n\nExamples:\n  # Mark node \"foo\" as unschedulable\n  minictl cordon foo"
#define MC_HELP_UNCORDON "Mark node as schedulable.\n\nExamples:\n  # Mark node \"foo\" as schedulable\n  minictl uncordon foo"
#define MC_HELP_DRAIN                                                                                   \
	"Drain node in preparation for maintenance.\n\n"                                                \
	" The given node will be marked unschedulable to prevent new pods from arriving. 'drain' evicts\n" \
	"the pods. If there are daemon set-managed pods, drain will not proceed without\n"              \
	"--ignore-daemonsets, and regardless it will not delete any daemon set-managed pods.\n\n"      \
	"Examples:\n  # Drain node \"foo\", even if there are pods not managed by a controller on it\n" \
	"  minictl drain foo --force --ignore-daemonsets"

#define MC_HELP_WAIT                                                                                   \
	"Experimental: Wait for a specific condition on one or many resources.\n\n"                    \
	" The command takes multiple resources and waits until the specified condition is seen in the\n" \
	"Status field of every given resource.\n\n"                                                    \
	"Examples:\n  # Wait for the pod \"busybox1\" to contain the status condition of type \"Ready\"\n" \
	"  minictl wait --for=condition=Ready pod/busybox1\n\n"                                         \
	"  # Wait for the pod \"busybox1\" to be deleted, with a timeout of 60s\n"                     \
	"  minictl wait --for=delete pod/busybox1 --timeout=60s"

#define MC_HELP_CLUSTER_INFO \
	"Display addresses of the control plane and services with label kubernetes.io/cluster-service=true.\n\n" \
	"Examples:\n  # Print the address of the control plane and cluster services\n  minictl cluster-info"
#define MC_HELP_TOP "Display resource (CPU/memory) usage.\n\n The top command needs the metrics API (metrics.k8s.io) on the server."
#define MC_HELP_COMPLETION                                                                      \
	"Output shell completion code for the specified shell (bash).\n\n"                      \
	"Examples:\n  # Load the minictl completion code for bash into the current shell\n"    \
	"  source <(minictl completion bash)"
#define MC_HELP_API_RESOURCES \
	"Print the supported API resources on the server.\n\nExamples:\n  # Print the supported API resources\n  minictl api-resources"
#define MC_HELP_CONFIG                                                                          \
	"Modify kubeconfig files using subcommands like \"minictl config set current-context my-context\".\n\n" \
	"Available Commands:\n"                                                                 \
	"  current-context   Display the current-context\n"                                    \
	"  get-contexts      Describe one or many contexts\n"                                  \
	"  set-context       Set a context entry in kubeconfig\n"                              \
	"  use-context       Set the current-context in a kubeconfig file\n"                   \
	"  view              Display merged kubeconfig settings or a specified kubeconfig file"
#define MC_HELP_VERSION \
	"Print the client and server version information for the current context.\n\nExamples:\n  # Print the client and server versions for the current context\n  minictl version"
#define MC_HELP_EDIT                                                                                     \
	"Edit a resource from the default editor.\n\n"                                                   \
	" The edit command allows you to directly edit any API resource you can retrieve via the\n"      \
	"command-line tools. It will open the editor defined by your KUBE_EDITOR, or EDITOR environment\n" \
	"variables, or fall back to 'vi'.\n\n"                                                           \
	"Examples:\n  # Edit the service named 'registry'\n  minictl edit svc/registry"
#define MC_HELP_OPTIONS "Print the list of flags inherited by all commands."

#endif
