/* help.h: the long help of each verb: what it does, then worked examples (laid out as kubectl's). */
#ifndef MC_HELP_H
#define MC_HELP_H

/*
 * Each text is a summary line, a short description and an "Examples:" block of
 * "# what it does" + command pairs; print_cmd_help() appends the flags and the
 * usage line. The wording is ours: only the layout follows kubectl.
 */

#define MC_HELP_GET \
	"List resources, or show chosen ones, in a table or another format.\n\n" \
	" Each object becomes one row holding its most useful fields. Narrow the rows with a label\n" \
	"selector (-l) or a field selector. Namespaced types are read from the current namespace only;\n" \
	"add --all-namespaces (-A) to read them from every namespace.\n\n" \
	" Pick another format with -o: json, yaml, name, wide, custom-columns=... or jsonpath=...;\n" \
	"a jsonpath template prints just the fields it names.\n\n" \
	"Run \"minictl api-resources\" to see every resource type the server offers.\n\n" \
	"Examples:\n" \
	"  # Show the pods of the current namespace\n" \
	"  minictl get pods\n\n" \
	"  # The same, with extra columns such as the node each pod landed on\n" \
	"  minictl get pods -o wide\n\n" \
	"  # Print the deployments of the apps API group as JSON\n" \
	"  minictl get deployments.apps -o json\n\n" \
	"  # Print a single pod as YAML\n" \
	"  minictl get pod echo-6b7f9c-x2kqp -o yaml\n\n" \
	"  # Print nothing but the phase of that pod\n" \
	"  minictl get pod echo-6b7f9c-x2kqp -o jsonpath='{.status.phase}'\n\n" \
	"  # Show replica sets and services in one listing\n" \
	"  minictl get rs,services\n\n" \
	"  # Name the objects directly, as TYPE/NAME\n" \
	"  minictl get deploy/api svc/api\n\n" \
	"  # List the pods, then keep printing them as they are added, changed or removed\n" \
	"  minictl get pods -w"

#define MC_HELP_DESCRIBE \
	"Print a readable report on one resource or a set of them.\n\n" \
	" The report covers the object's spec and status along with what relates to it, such as the\n" \
	"events recorded about it or the controller that owns it. Choose the objects by name, by a\n" \
	"name prefix, by a label selector, or take every object of a type.\n\n" \
	"Examples:\n" \
	"  # Report on the node node-2\n" \
	"  minictl describe nodes node-2\n\n" \
	"  # Report on the pod web\n" \
	"  minictl describe pods/web\n\n" \
	"  # Report on every pod labelled app=echo\n" \
	"  minictl describe pods -l app=echo"

#define MC_HELP_APPLY \
	"Bring resources in line with manifests read from files or stdin.\n\n" \
	" An object that does not exist yet is created; one that exists is patched. Each object needs\n" \
	"a name. Apply relies on the manifest it saw last, so create objects you will apply later with\n" \
	"'apply' itself or with 'create --save-config'.\n\n" \
	" Manifests may be JSON or YAML.\n\n" \
	" The patch is the three-way strategic merge kubectl builds from the new manifest, the live\n" \
	"object and the kubectl.kubernetes.io/last-applied-configuration annotation, so minictl and\n" \
	"kubectl can take turns applying to the same object.\n\n" \
	"Examples:\n" \
	"  # Create or update what web.yaml describes\n" \
	"  minictl apply -f ./web.yaml\n\n" \
	"  # Apply a manifest piped in on stdin\n" \
	"  cat api.json | minictl apply -f -\n\n" \
	"  # Apply every manifest under a directory and its subdirectories\n" \
	"  minictl apply -R -f ./manifests/\n\n" \
	"  # Let the server merge the change, taking over fields other managers own\n" \
	"  minictl apply --server-side --force-conflicts -f ./echo.yaml"

#define MC_HELP_CREATE \
	"Create resources from manifests in files or on stdin.\n\n" \
	" Manifests may be JSON or YAML. The subcommands below build common objects from flags alone.\n\n" \
	"Available Commands:\n" \
	"  configmap     Make a config map from literal values or files\n" \
	"  deployment    Make a deployment that runs one image\n" \
	"  namespace     Make an empty namespace\n" \
	"  secret        Make a generic secret from literal values or files\n\n" \
	"Examples:\n" \
	"  # Create what web.yaml describes\n" \
	"  minictl create -f ./web.yaml\n\n" \
	"  # Start a deployment called echo with two replicas of the echoserver image\n" \
	"  minictl create deployment echo --image=echoserver --replicas=2\n\n" \
	"  # Make a config map api-settings holding mode=debug and port=8080\n" \
	"  minictl create configmap api-settings --from-literal=mode=debug --from-literal=port=8080\n\n" \
	"  # Make a namespace for staging work\n" \
	"  minictl create namespace staging"

#define MC_HELP_REPLACE \
	"Swap live resources for the manifests read from files or stdin.\n\n" \
	" Manifests may be JSON or YAML. The manifest takes the place of the whole object, so it has\n" \
	"to carry the complete spec, not only the fields that change.\n\n" \
	"Examples:\n" \
	"  # Replace the pod described in web-pod.yaml\n" \
	"  minictl replace -f ./web-pod.yaml\n\n" \
	"  # Delete the object and create it again from the manifest\n" \
	"  minictl replace --force -f ./web-pod.yaml"

#define MC_HELP_DELETE \
	"Remove resources named in manifests, by type and name, or by type and label selector.\n\n" \
	" Say what to remove in exactly one way: manifest files (-f, JSON or YAML), a type with names,\n" \
	"or a type with a label selector (-l) or --all. The ways cannot be combined.\n\n" \
	"Examples:\n" \
	"  # Delete the objects described in web.yaml\n" \
	"  minictl delete -f ./web.yaml\n\n" \
	"  # Delete the pods and the services called web and api\n" \
	"  minictl delete pod,service web api\n\n" \
	"  # Delete the pods and services labelled app=echo\n" \
	"  minictl delete pods,services -l app=echo\n\n" \
	"  # Delete every pod of the current namespace\n" \
	"  minictl delete pods --all"

#define MC_HELP_RUN \
	"Start a single pod that runs the given image.\n\n" \
	" Words after \"--\" become the container's arguments, or its command with --command.\n\n" \
	"Examples:\n" \
	"  # Start a pod called echo from the echoserver image\n" \
	"  minictl run echo --image=echoserver\n\n" \
	"  # Start a pod whose container declares port 8080\n" \
	"  minictl run api --image=echoserver --port=8080\n\n" \
	"  # Start a pod with an environment variable and two labels\n" \
	"  minictl run web --image=echoserver --env=\"MODE=test\" --labels=\"app=web,tier=front\"\n\n" \
	"  # Start a busybox pod that just sleeps for an hour\n" \
	"  minictl run shell --image=busybox -- sleep 3600"

#define MC_HELP_EXPOSE \
	"Put a new service in front of an existing resource.\n\n" \
	" The deployment, replica set, service or pod is looked up by name; its selector becomes the\n" \
	"new service's selector, and the service listens on the given port.\n\n" \
	"Examples:\n" \
	"  # Serve deployment web on port 80, forwarding to its containers' port 8080\n" \
	"  minictl expose deployment web --port=80 --target-port=8080\n\n" \
	"  # Reach pod api from outside the cluster through a node port, as service api-ext\n" \
	"  minictl expose pod api --port=9000 --type=NodePort --name=api-ext"

#define MC_HELP_SCALE \
	"Change how many replicas a deployment, replica set or replication controller keeps.\n\n" \
	"Examples:\n" \
	"  # Run five replicas of deployment web\n" \
	"  minictl scale --replicas=5 deployment/web\n\n" \
	"  # Go from two replicas of api to four, but only if it has two right now\n" \
	"  minictl scale --current-replicas=2 --replicas=4 deployment/api"

#define MC_HELP_SET \
	"Change chosen fields of existing objects.\n\n" \
	"Available Commands:\n" \
	"  image       Change the container images of a pod template\n\n" \
	"Examples:\n" \
	"  # Move the web container of deployment web to echoserver:2.1\n" \
	"  minictl set image deployment/web web=echoserver:2.1\n\n" \
	"  # Move every container of deployment web to echoserver:2.1\n" \
	"  minictl set image deployment/web '*=echoserver:2.1'"

#define MC_HELP_LABEL \
	"Add, change or remove labels on resources.\n\n" \
	"  *  Keys and values start with a letter or digit and hold letters, digits, '-', '.' and\n" \
	"'_', 63 characters at most each.\n" \
	"  *  A label that is already set is only changed with --overwrite; without it the change\n" \
	"is refused with an error.\n" \
	"  *  KEY- (a trailing dash) removes the label KEY.\n\n" \
	"Examples:\n" \
	"  # Label pod web with tier=front\n" \
	"  minictl label pods web tier=front\n\n" \
	"  # Change the tier label that pod web already has\n" \
	"  minictl label --overwrite pods web tier=back\n\n" \
	"  # Take the tier label off pod web\n" \
	"  minictl label pods web tier-"

#define MC_HELP_ANNOTATE \
	"Add, change or remove annotations on resources.\n\n" \
	" An annotation that is already set is only changed with --overwrite. KEY- removes KEY.\n\n" \
	"Examples:\n" \
	"  # Note who owns pod api\n" \
	"  minictl annotate pods api owner='team blue'\n\n" \
	"  # Drop that note again\n" \
	"  minictl annotate pods api owner-"

#define MC_HELP_ROLLOUT \
	"Follow, inspect and revert the rollouts of workloads.\n\n" \
	" Works on these types:\n\n" \
	"  *  deployments\n" \
	"  *  daemonsets\n\n" \
	"Available Commands:\n" \
	"  history       List the revisions a rollout went through\n" \
	"  restart       Replace every pod with a fresh one\n" \
	"  status        Wait for a rollout to finish and report how it went\n" \
	"  undo          Go back to an earlier revision\n\n" \
	"Examples:\n" \
	"  # Wait until deployment web has finished rolling out\n" \
	"  minictl rollout status deployment/web\n\n" \
	"  # Return deployment web to the revision before the current one\n" \
	"  minictl rollout undo deployment/web\n\n" \
	"  # Return it to revision 2 instead\n" \
	"  minictl rollout undo deployment/web --to-revision=2\n\n" \
	"  # Recreate all pods of deployment api, one step at a time\n" \
	"  minictl rollout restart deployment/api"

#define MC_HELP_LOGS \
	"Print what a container in a pod has logged.\n\n" \
	" The pod may also be given through a resource that owns pods, such as deployment/web. When\n" \
	"the pod runs a single container, -c may be left out.\n\n" \
	"Examples:\n" \
	"  # Print the log so far of pod web, which runs one container\n" \
	"  minictl logs web\n\n" \
	"  # Follow the log of the sidecar container in pod api-1\n" \
	"  minictl logs -f -c sidecar api-1\n\n" \
	"  # Print only the last 50 lines logged by pod web\n" \
	"  minictl logs --tail=50 web"

#define MC_HELP_EXEC \
	"Run a command in a container of a running pod, its output here and, with -i, this stdin there.\n\n" \
	" The exit code is the command's (\"command terminated with exit code N\" is printed when it is not 0).\n\n" \
	"Examples:\n" \
	"  # Print the date as pod web's only container sees it\n" \
	"  minictl exec web -- date\n\n" \
	"  # Count the lines of a local file in container sidecar of pod api-1\n" \
	"  minictl exec -i api-1 -c sidecar -- wc -l < notes.txt\n\n" \
	"  # An interactive shell\n" \
	"  minictl exec -it web -- sh"

#define MC_HELP_CORDON \
	"Keep the scheduler from placing new pods on a node.\n\n" \
	" Pods already running there are left alone.\n\n" \
	"Examples:\n" \
	"  # Stop new pods from landing on node-2\n" \
	"  minictl cordon node-2"

#define MC_HELP_UNCORDON \
	"Let the scheduler place pods on a node again.\n\n" \
	"Examples:\n" \
	"  # Open node-2 to new pods again\n" \
	"  minictl uncordon node-2"

#define MC_HELP_DRAIN \
	"Move the pods off a node so it can be taken down for maintenance.\n\n" \
	" The node is first cordoned so nothing new lands on it, then its pods are evicted. Pods that\n" \
	"belong to a daemon set are never removed, and drain stops when it finds any unless\n" \
	"--ignore-daemonsets is given.\n\n" \
	"Examples:\n" \
	"  # Empty node-2, removing pods that no controller manages as well\n" \
	"  minictl drain node-2 --force --ignore-daemonsets"

#define MC_HELP_WAIT \
	"Experimental: block until one or more resources meet a condition.\n\n" \
	" Every named resource is watched until its status shows the condition given with --for.\n\n" \
	"Examples:\n" \
	"  # Return once pod web reports the Ready condition\n" \
	"  minictl wait --for=condition=Ready pod/web\n\n" \
	"  # Return once pod web is gone, giving up after 90 seconds\n" \
	"  minictl wait --for=delete pod/web --timeout=90s"

#define MC_HELP_CLUSTER_INFO \
	"Show where the control plane and the cluster services can be reached.\n\n" \
	" Cluster services are those labelled kubernetes.io/cluster-service=true.\n\n" \
	"Examples:\n" \
	"  # Print the addresses\n" \
	"  minictl cluster-info"

#define MC_HELP_TOP \
	"Show how much CPU and memory is in use.\n\n" \
	" This relies on the server offering the metrics API (metrics.k8s.io)."

#define MC_HELP_COMPLETION \
	"Print a script that teaches a shell to complete minictl commands (bash only).\n\n" \
	"Examples:\n" \
	"  # Turn on completion in the running bash\n" \
	"  source <(minictl completion bash)"

#define MC_HELP_API_RESOURCES \
	"List the resource types the server offers.\n\n" \
	"Examples:\n" \
	"  # List every resource type\n" \
	"  minictl api-resources\n\n" \
	"  # List only the types of the apps API group\n" \
	"  minictl api-resources --api-group=apps"

#define MC_HELP_CONFIG \
	"Read and change kubeconfig files, one subcommand per task,\n" \
	"e.g. \"minictl config use-context staging\".\n\n" \
	"Available Commands:\n" \
	"  current-context   Print the name of the context in use\n" \
	"  get-contexts      List the contexts, or the named ones\n" \
	"  set-cluster       Add or change a cluster entry\n" \
	"  set-context       Add or change a context entry\n" \
	"  set-credentials   Add or change a user entry\n" \
	"  use-context       Switch the context in use\n" \
	"  view              Print the merged kubeconfig, or the file given with --kubeconfig\n\n" \
	"Examples:\n" \
	"  # Work against the staging context from now on\n" \
	"  minictl config use-context staging\n\n" \
	"  # Print only what the current context needs\n" \
	"  minictl config view --minify"

#define MC_HELP_VERSION \
	"Show the version of minictl and of the server of the current context.\n\n" \
	"Examples:\n" \
	"  # Print both versions\n" \
	"  minictl version\n\n" \
	"  # Print the minictl version alone, without asking the server\n" \
	"  minictl version --client"

#define MC_HELP_EDIT \
	"Change a live resource in a text editor.\n\n" \
	" Any object that minictl can read may be edited: it is opened as a file, and what you save\n" \
	"is sent back to the server. The editor is $KUBE_EDITOR, else $EDITOR, else 'vi'.\n\n" \
	"Examples:\n" \
	"  # Edit the service called api\n" \
	"  minictl edit svc/api"

#define MC_HELP_OPTIONS "List the flags that every command accepts."

#endif
