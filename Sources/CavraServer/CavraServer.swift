import Hummingbird
import Logging
import Prometheus
