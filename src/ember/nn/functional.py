"""``ember.nn.functional``: torch's functional API. Each family lives in ``nn/_functional/``."""
from ._functional.activation import *  # noqa: F401,F403
from ._functional.loss import *  # noqa: F401,F403
from ._functional.conv import *  # noqa: F401,F403
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.normalization import *  # noqa: F401,F403
from ._functional.sparse import *  # noqa: F401,F403
from ._functional.padding import *  # noqa: F401,F403
from ._functional.upsampling import *  # noqa: F401,F403
from ._functional.channel_dropout import *  # noqa: F401,F403
from ._functional.attention import *  # noqa: F401,F403
from ._functional.vision import *  # noqa: F401,F403
from ._functional.distance import *  # noqa: F401,F403
from ._functional.fold import *  # noqa: F401,F403
from ._functional.conv3d import *  # noqa: F401,F403
from ._functional.pooling_extra import *  # noqa: F401,F403
from ._functional.ctc import *  # noqa: F401,F403
